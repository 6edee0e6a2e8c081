/**
 * SOAP bodies the ONVIF simulator answers with (Profile S device, media and event services),
 * shaped as real cameras send them so the `onvif` npm package parses them unchanged.
 */

export const NS =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ' +
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" ' +
  'xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:tns1="http://www.onvif.org/ver10/topics" ' +
  'xmlns:ter="http://www.onvif.org/ver10/error"';

export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${NS}><s:Header/><s:Body>${body}</s:Body></s:Envelope>`;
}

export function fault(code: string, subcode: string, reason: string): string {
  return envelope(
    `<s:Fault><s:Code><s:Value>${code}</s:Value><s:Subcode><s:Value>${subcode}</s:Value></s:Subcode></s:Code>` +
      `<s:Reason><s:Text xml:lang="en">${reason}</s:Text></s:Reason></s:Fault>`,
  );
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function utcDateTime(d: Date): string {
  return (
    `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>`
  );
}

export function systemDateAndTime(now: Date): string {
  return envelope(
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>' +
      '<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>GMT0</tt:TZ></tt:TimeZone>' +
      `${utcDateTime(now)}</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
  );
}

export function services(base: string): string {
  const svc = (ns: string, path: string) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${base}${path}</tds:XAddr>` +
    '<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>';
  return envelope(
    '<tds:GetServicesResponse>' +
      svc('http://www.onvif.org/ver10/device/wsdl', '/onvif/device_service') +
      svc('http://www.onvif.org/ver10/media/wsdl', '/onvif/media_service') +
      svc('http://www.onvif.org/ver10/events/wsdl', '/onvif/event_service') +
      '</tds:GetServicesResponse>',
  );
}

export function capabilities(base: string): string {
  return envelope(
    '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
      `<tt:Device><tt:XAddr>${base}/onvif/device_service</tt:XAddr></tt:Device>` +
      `<tt:Events><tt:XAddr>${base}/onvif/event_service</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
      '<tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>' +
      `<tt:Media><tt:XAddr>${base}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
      '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>' +
      '</tds:Capabilities></tds:GetCapabilitiesResponse>',
  );
}

export function deviceInformation(info: { manufacturer: string; model: string; serial: string }): string {
  return envelope(
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${escapeXml(info.manufacturer)}</tds:Manufacturer>` +
      `<tds:Model>${escapeXml(info.model)}</tds:Model><tds:FirmwareVersion>1.0.0</tds:FirmwareVersion>` +
      `<tds:SerialNumber>${escapeXml(info.serial)}</tds:SerialNumber><tds:HardwareId>sim</tds:HardwareId></tds:GetDeviceInformationResponse>`,
  );
}

export interface SimProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  fps: number;
}

function profile(p: SimProfile): string {
  return (
    `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    '<tt:VideoSourceConfiguration token="vsc0"><tt:Name>vsc0</tt:Name><tt:UseCount>2</tt:UseCount>' +
    `<tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="${p.width}" height="${p.height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="vec_${p.token}"><tt:Name>vec_${p.token}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    '<tt:BitrateLimit>1024</tt:BitrateLimit></tt:RateControl><tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
    '</trt:Profiles>'
  );
}

export function profiles(list: SimProfile[]): string {
  return envelope(`<trt:GetProfilesResponse>${list.map(profile).join('')}</trt:GetProfilesResponse>`);
}

export function videoSources(p: SimProfile): string {
  return envelope(
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="vs0"><tt:Framerate>${p.fps}</tt:Framerate>` +
      `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`,
  );
}

export function mediaUri(element: 'GetStreamUriResponse' | 'GetSnapshotUriResponse', uri: string): string {
  return envelope(
    `<trt:${element}><trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
      `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:${element}>`,
  );
}

export function subscriptionCreated(address: string, now: Date, terminates: Date): string {
  return envelope(
    `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>${address}</wsa5:Address></tev:SubscriptionReference>` +
      `<wsnt:CurrentTime>${now.toISOString()}</wsnt:CurrentTime><wsnt:TerminationTime>${terminates.toISOString()}</wsnt:TerminationTime>` +
      '</tev:CreatePullPointSubscriptionResponse>',
  );
}

export function renewed(now: Date, terminates: Date): string {
  return envelope(
    `<wsnt:RenewResponse><wsnt:TerminationTime>${terminates.toISOString()}</wsnt:TerminationTime>` +
      `<wsnt:CurrentTime>${now.toISOString()}</wsnt:CurrentTime></wsnt:RenewResponse>`,
  );
}

export function unsubscribed(): string {
  return envelope('<wsnt:UnsubscribeResponse/>');
}

export interface SimNotification {
  topic: string;
  time: Date;
  source: { name: string; value: string };
  data: { name: string; value: string };
}

export function pulled(now: Date, terminates: Date, messages: SimNotification[]): string {
  const msgs = messages
    .map(
      (m) =>
        `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${m.topic}</wsnt:Topic>` +
        `<wsnt:Message><tt:Message UtcTime="${m.time.toISOString()}" PropertyOperation="Changed">` +
        `<tt:Source><tt:SimpleItem Name="${m.source.name}" Value="${m.source.value}"/></tt:Source>` +
        `<tt:Data><tt:SimpleItem Name="${m.data.name}" Value="${m.data.value}"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`,
    )
    .join('');
  return envelope(
    `<tev:PullMessagesResponse><tev:CurrentTime>${now.toISOString()}</tev:CurrentTime>` +
      `<tev:TerminationTime>${terminates.toISOString()}</tev:TerminationTime>${msgs}</tev:PullMessagesResponse>`,
  );
}

export function probeMatch(relatesTo: string, endpoint: string, xaddr: string, name: string, hardware: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>' +
    `<a:MessageID>urn:uuid:${crypto.randomUUID()}</a:MessageID><a:RelatesTo>${escapeXml(relatesTo)}</a:RelatesTo>` +
    '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>' +
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header><s:Body>' +
    `<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${endpoint}</a:Address></a:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter</d:Types>' +
    `<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/${encodeURIComponent(name)} onvif://www.onvif.org/hardware/${encodeURIComponent(hardware)}</d:Scopes>` +
    `<d:XAddrs>${xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`
  );
}
